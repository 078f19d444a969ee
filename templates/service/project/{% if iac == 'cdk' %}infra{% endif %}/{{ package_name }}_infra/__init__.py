"""The AWS infrastructure of the service, as CDK constructs."""
