CREATE TABLE `parcels` (
    `parcel_id` BIGINT NOT NULL,
    `weighed_at` DATETIME DEFAULT NOW()
) ENGINE = InnoDB;