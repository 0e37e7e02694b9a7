"""Intake: a file saved in the watched folder → cells with their positions → a located table.

    path → stage (a private copy, hashed) → read (rows of Cells, number formats kept)
         → locate (metadata, header, table end; hidden content) → Table

Reads only the private copy, never the person's file; never decides whether it is right."""
