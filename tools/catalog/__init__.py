"""The declarations of every tool Andon has, grouped by what they touch."""
