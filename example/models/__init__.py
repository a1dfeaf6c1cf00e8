"""Model definitions: the student architectures and the teacher client."""
