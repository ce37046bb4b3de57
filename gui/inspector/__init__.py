"""The inspector dock: fields, pages for a selection, block parameters, design settings."""
