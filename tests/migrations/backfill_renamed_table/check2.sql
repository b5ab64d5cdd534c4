SELECT count(*) = 2 FROM treasury.payments WHERE channel = 'WIRE';
SELECT count(*) = 2 FROM treasury.settlements WHERE channel = 'SEPA';
