-- Several server replicas share the ledger: a running run belongs to the instance that claimed it
-- for as long as that instance renews its lease (a heartbeat, a third of the lease). Another
-- instance resumes it only once the lease has expired (the owner died) or was released (it
-- stopped), and workers make items only for runs their instance owns.
ALTER TABLE requests ADD COLUMN owner TEXT;
ALTER TABLE requests ADD COLUMN lease_until TIMESTAMPTZ;
CREATE INDEX requests_live ON requests (id) WHERE status IN ('running', 'cancelling');
