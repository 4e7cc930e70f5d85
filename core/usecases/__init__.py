"""What an admin can do, once for both front ends: each use case is one function that takes its collaborators and returns what to record."""
