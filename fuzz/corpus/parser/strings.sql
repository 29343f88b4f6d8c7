-- +goose Up
SELECT 'a;
b', E'c\';
d', "e;
f", $q$ g;
$q$, /* h; /* i;
*/ j;
*/ 1;
