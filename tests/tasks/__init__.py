"""Tests of the micro-task work: projects, assignments, aggregation, export."""
