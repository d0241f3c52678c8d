"""Modules over the hub and HTTP: admin events, the panel manifest, modules' own handlers."""
