"""Printed documents (PDF, fpdf2 with the bundled CJK font), made headless so the CLI and tests need no screen."""
