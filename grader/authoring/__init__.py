"""A course author's tools: scaffold a question, write notebooks, record and validate."""
