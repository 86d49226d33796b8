"""Left for two callers outside the learning domain's owner (handlers.menu, handlers.coordination).

The learning services live in courses.pages, courses.quiz, courses.practice,
courses.certificates and courses.figures; import from there. This module goes once no one
imports it.
"""

from courses.figures import CourseStats, cohort_progress
from courses.quiz import skills

__all__ = ["CourseStats", "cohort_progress", "skills"]
