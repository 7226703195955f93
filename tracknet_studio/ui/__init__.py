"""The PySide6 application. Qt is imported here and nowhere else."""
