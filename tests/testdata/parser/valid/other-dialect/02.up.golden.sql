CREATE TABLE `couriers` (
    `courier_id` BIGINT NOT NULL
) ENGINE = InnoDB;