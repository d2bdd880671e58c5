"""The backend's logic, shared by the API routes and the workers."""
