-- What the application's schema migrations created; datamig only changes data.
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, is_manager INTEGER NOT NULL, role TEXT);
CREATE TABLE jobs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, user_id INTEGER NOT NULL);
INSERT INTO users (email, is_manager) VALUES
  ('ada@example.com', 1), ('grace@example.com', 0), ('linus@example.com', 0), ('barbara@example.com', 1);
