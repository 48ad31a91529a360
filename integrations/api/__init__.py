"""The JSON API (Django REST framework): the dashboard's data for scripts."""
