"""A class in the lab: a teacher's session, students' predictions collected, results exported.

``lab.classroom.db`` opens the database (SQLite under the user's data folder by default, any
SQLAlchemy URL with ``--db`` or ``LAB_DB_URL``) and migrates it with Alembic;
``lab.classroom.service`` is the only API the CLI and the web pages use: every input is
validated there (``ClassroomError`` names the field) and every teacher action checks the key.
"""
