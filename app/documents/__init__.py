"""Printed documents (PDF), made headless with fpdf2 and the bundled CJK font."""
