CREATE TABLE "odd;
name" (id int);