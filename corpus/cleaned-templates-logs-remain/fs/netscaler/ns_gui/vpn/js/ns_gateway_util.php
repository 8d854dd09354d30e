<?php
/* edgewatch lab stand-in (not the vendor file): serves the Gateway client settings. */
header('Content-Type: application/javascript');
echo 'var ns_gateway_settings = {};';
