"""The ball track and everything computed from it. No Qt, no torch, no boto3, no project imports."""
