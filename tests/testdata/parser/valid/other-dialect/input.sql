-- +goose Up

CREATE TABLE `parcels` (
    `parcel_id` BIGINT NOT NULL,
    `weighed_at` DATETIME DEFAULT NOW()
) ENGINE = InnoDB;

CREATE TABLE `couriers` (
    `courier_id` BIGINT NOT NULL
) ENGINE = InnoDB;

/*!80013 ALTER TABLE `parcels` ADD COLUMN `courier_id` BIGINT */;
/*!80013 ALTER TABLE `couriers` ADD COLUMN `courier_name` TEXT */;
