"""Tests of analytics reports: periods, figures, anomalies."""
