"""TrackNet networks, heatmaps, datasets, training loop, post-processing and metrics.

Imported as the top-level package `tracknet` by the application, the command line and the
SageMaker containers alike; it never imports `tracknet_studio`.
"""
