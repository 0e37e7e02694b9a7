"""The reviewers' web view: the store, opened read-only → Datasette pages in Danish."""
