"""AWS: settings, S3 transfers, jobs, endpoints, logs; and the local backend."""
