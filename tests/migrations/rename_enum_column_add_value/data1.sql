INSERT INTO accounts.accounts (name, tier) VALUES ('a', 'FREE'), ('b', 'PRO');
