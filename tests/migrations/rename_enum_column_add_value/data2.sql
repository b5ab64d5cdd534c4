-- The new value is accepted under the new column name (then removed, so
-- that the undo, which narrows the column back, has nothing to refuse).
INSERT INTO accounts.accounts (name, plan) VALUES ('c', 'BUSINESS');
DELETE FROM accounts.accounts WHERE plan = 'BUSINESS';
