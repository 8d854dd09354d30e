<?php
/* edgewatch lab stand-in for the Citrix ADC configuration utility front controller (not the vendor file). */
require_once 'application/bootstrap.php';
$app = new NsGuiApplication();
$app->run();
