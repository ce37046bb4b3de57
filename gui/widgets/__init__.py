"""What every part of the window is drawn with: the look (theme and icons), the value fields, and
saving a picture or a table to a file the person names. Nothing here imports another gui package."""
