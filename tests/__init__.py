"""Tests of the template: bakes, hooks, and baked projects on real servers."""
