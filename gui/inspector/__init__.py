"""The inspector dock: pages for a selection, block parameters, design settings."""
