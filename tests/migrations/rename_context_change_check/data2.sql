-- The new invariant holds under the new names.
INSERT INTO inventory.articles (code, quantity) VALUES ('C', 5);
