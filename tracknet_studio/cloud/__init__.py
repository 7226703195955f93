"""AWS and the local machine as places to run TrackNet's jobs.

settings           CloudSettings (names only, never credentials)
check              Settings > Check: each setting tried, in plain words
session            boto3 sessions and clients with the shared retry configuration
transfer           S3 uploads (resumable, encrypted), downloads, an opener for Ground Truth
cors               the bucket CORS rule Ground Truth's worker UI needs
jobs               JobRecord, JobStore, parse_metrics: the records both backends keep
local_backend      LocalBackend: jobs as subprocesses of this machine
sagemaker_backend  processing, training, batch prediction, endpoints, CloudWatch logs
prediction         how a batch prediction job sees its videos
labeling           Ground Truth video-frame tracking jobs
bundle             the job scripts as the sourcedir.tar.gz the PyTorch containers take
wheels             the containers' dependencies as wheels, for jobs without internet

Nothing here imports boto3 at package import: the local backend works without the cloud
extra.
"""
