"""The public online report and help pages: no sign-in, quick exit on every page."""
