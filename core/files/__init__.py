"""The .ncanvas file: its schema, reading and writing, migrations of older versions."""
