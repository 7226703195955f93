"""Predictors behind one interface: the local model, the SageMaker endpoint."""
