"""Tests of analytics capture: what happens per request at the edge."""
