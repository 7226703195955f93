"""Reading and writing files: Ground Truth, the CSV families, the project file."""
