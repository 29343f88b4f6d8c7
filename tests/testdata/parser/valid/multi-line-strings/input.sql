-- +goose Up

CREATE TABLE signing_keys (
    key_id integer NOT NULL,
    "pemText" text
);

-- +goose StatementBegin
INSERT INTO signing_keys (key_id, "pemText") VALUES (1, '-----BEGIN PUBLIC KEY-----
Nn6KgpUl5pvuy8k8hnKht4W4TFKMVAUjPqwOKoxow87gMDm6XDD5Y4rnb/iQgjQ+
LY6PPA5S0jov2fVWxeme+Ovf1TCD8sl45voiSfqI4QnP2AqxvPGGtppgFfCDMMYy
EWKfDACQt4A6EUplAHWAh11/aqmVvBBRZbv7xH3GoPkQftvwrS2GNEJmG0hshPnl
QMIaNoO82dZB43EuS1hLCHG0F9DviPClJ7sfMSPaOhpXIgCcFkXCTALm7/0KlymK
f5AAeAO3OT8=
-----END PUBLIC KEY-----
');
-- +goose StatementEnd

INSERT INTO signing_keys (key_id, "pemText") VALUES (2, '-----BEGIN PUBLIC KEY-----
y8PklrGqDoFGkJ9u4g0j4K7E2IDWZg/A833GPXF4Y4Imfi7oGQ5hkNnrcyImXr7r
Z8Q2uvJvsqr+nxlZ60SM85wYThwPnfi6l7xZQwxrIkN0ns7zs1qzfrSr3TgHFJyL
V5llZjpzxpDiOcU54Cd7HmnAYylDuvQ8KS52czZE8vGixSG4Pq2LVOj3MrUU56IH
H8BnfDW0VI/aGVsi2K/2YN9O15p8l25XPYJ8HmhJbcmBOXd1BWSeEY17cKpFdRqN
XAHXjPnnexn9TehrhWacP/zPDvSm2aOUpSMHryB+UmDggOP9xsQBzHknki9q9tfo
qbjD8ofGj7teCUCUPvz5HHfxCxtG01lmWsUUa5dBFKemIGkJNisGcdFMGqur1tQI
9QoaDDDbYgdANJqlChVi76Ref5GL89Rj+G5f/3eL9FIVKcer/Vxc3KGR
-----END PUBLIC KEY-----
');

-- +goose Down
DROP TABLE signing_keys;
