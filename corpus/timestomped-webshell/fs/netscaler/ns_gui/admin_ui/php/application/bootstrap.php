<?php
/* edgewatch lab stand-in (not the vendor file). */
class NsGuiApplication {
    public function run() {
        header('Content-Type: text/html; charset=UTF-8');
        readfile('/netscaler/ns_gui/admin_ui/php/application/views/login.html');
    }
}
