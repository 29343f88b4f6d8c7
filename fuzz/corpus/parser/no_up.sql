-- just a comment

