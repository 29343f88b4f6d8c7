SELECT 1 /* a comment; /* nested;
*/ still inside;
*/;