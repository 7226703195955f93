"""AWS and the local machine as places to run TrackNet's jobs.

settings   CloudSettings (names only, never credentials) and check_settings
session    boto3 sessions and clients with the shared retry configuration
transfer   S3 uploads (resumable, encrypted), downloads, an opener for Ground Truth files
jobs       JobRecord, JobStore, parse_metrics, LocalBackend (SageMakerBackend lazily)
sagemaker_backend  processing, training, endpoints and CloudWatch logs on SageMaker
labeling   Ground Truth video-frame keypoint tracking jobs
bundle     model/ as the sourcedir.tar.gz the PyTorch containers take

Nothing here imports boto3 at package import: the local backend works without the cloud
extra.
"""
