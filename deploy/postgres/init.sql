-- Run once by the postgres:15 image on an empty data volume: one database per service,
-- each service migrates its own at start-up.
CREATE DATABASE actions;
CREATE DATABASE accountability;
CREATE DATABASE notifications;
CREATE DATABASE portal;
