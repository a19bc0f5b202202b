<?php
/**
 * Minimal WordPress / WooCommerce / Welcart stand-ins for running the
 * production plugins' own link-type code (外部リンク型) from the command line.
 *
 * This file contains no plugin code. The plugin files are loaded at run time
 * from a copy of the public repositories (see link_harness.php); these stubs
 * only record what the plugin code does with the host (redirects, notices,
 * stored meta, database rows) so that the Go test can compare it with the
 * SDK's conclusion. Every stub does the least WordPress does for our inputs.
 */

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
define( 'WC_VERSION', '8.0.0' );

/** What the plugin did, printed as JSON when the PHP process ends. */
$GLOBALS['harness'] = array(
	'redirect'   => null,
	'notices'    => array(),
	'die'        => null,
	'user_meta'  => array(),
	'order'      => array(),
	'db'         => array(),
	'member_meta' => array(),
	'order_meta' => array(),
	'order_processing' => null,
	'acting_errors' => array(),
	'cart_emptied' => false,
	'returned'   => null,
	'exception'  => null,
);

function harness_rec( $key, $value ) {
	$GLOBALS['harness'][ $key ] = $value;
}

function harness_push( $key, $value ) {
	$GLOBALS['harness'][ $key ][] = $value;
}

// --- translation and escaping: identity ---
function __( $s, $d = '' ) { return $s; }
function esc_html__( $s, $d = '' ) { return $s; }
function esc_html_e( $s, $d = '' ) { echo $s; }
function esc_attr__( $s, $d = '' ) { return $s; }
function _e( $s, $d = '' ) { echo $s; }
function esc_attr( $s ) { return htmlspecialchars( (string) $s, ENT_QUOTES ); }
function esc_html( $s ) { return htmlspecialchars( (string) $s, ENT_QUOTES ); }
function esc_url( $s ) { return (string) $s; }
function wp_kses_post( $s ) { return $s; }

// --- hooks: not run ---
function add_action( ...$a ) { return true; }
function add_filter( ...$a ) { return true; }
function apply_filters( $tag, $value, ...$a ) { return $value; }
function do_action( ...$a ) {}
function is_admin() { return false; }

// --- options and users ---
function get_option( $name, $default = false ) {
	return $GLOBALS['harness_options'][ $name ] ?? $default;
}
function update_option( $name, $value ) { $GLOBALS['harness_options'][ $name ] = $value; return true; }
function is_user_logged_in() { return ! empty( $GLOBALS['harness_user'] ); }
function get_current_user_id() { return (int) ( $GLOBALS['harness_user'] ?? 0 ); }
function get_user_meta( $user, $key, $single = false ) {
	return $GLOBALS['harness']['user_meta'][ $user ][ $key ] ?? '';
}
function update_user_meta( $user, $key, $value ) {
	$GLOBALS['harness']['user_meta'][ $user ][ $key ] = $value;
	return true;
}
function delete_user_meta( $user, $key ) {
	unset( $GLOBALS['harness']['user_meta'][ $user ][ $key ] );
	return true;
}
function get_user_by( $f, $v ) { return (object) array( 'ID' => $v, 'user_email' => 'taro@example.jp' ); }
function absint( $v ) { return abs( (int) $v ); }
function wp_rand( $min = 0, $max = 0 ) { return ( 0 === $max ) ? mt_rand() : mt_rand( $min, $max ); }
function wp_create_nonce( $a = -1 ) { return 'nonce'; }
function wp_verify_nonce( $n, $a = -1 ) { return 1; }

// --- time: the gateway's JST date ---
function current_time( $type ) {
	return ( 'mysql' === $type ) ? gmdate( 'Y-m-d H:i:s', time() + 9 * 3600 ) : time() + 9 * 3600;
}
function date_i18n( $format, $ts ) { return gmdate( $format, $ts ); }

// --- URLs, redirects ---
function home_url( $path = '' ) { return $GLOBALS['harness_home'] . ltrim( $path, '/' ); }
/**
 * add_query_arg( array $args, string $url ): WordPress appends the pairs
 * without encoding the values (callers encode; both plugins urlencode
 * EncryptValue themselves) and replaces a key already in the query.
 */
function add_query_arg( $args, $url ) {
	$frag = '';
	if ( false !== ( $p = strpos( $url, '#' ) ) ) {
		$frag = substr( $url, $p );
		$url  = substr( $url, 0, $p );
	}
	$base  = $url;
	$query = '';
	if ( false !== ( $p = strpos( $url, '?' ) ) ) {
		$base  = substr( $url, 0, $p );
		$query = substr( $url, $p + 1 );
	}
	$pairs = array();
	foreach ( '' === $query ? array() : explode( '&', $query ) as $kv ) {
		$k           = explode( '=', $kv, 2 );
		$pairs[ $k[0] ] = $k[1] ?? '';
	}
	foreach ( $args as $k => $v ) {
		if ( false === $v || null === $v ) {
			unset( $pairs[ $k ] );
		} else {
			$pairs[ $k ] = $v;
		}
	}
	$out = array();
	foreach ( $pairs as $k => $v ) {
		$out[] = $k . '=' . $v;
	}
	return $base . ( $out ? '?' . implode( '&', $out ) : '' ) . $frag;
}
function wp_redirect( $location, $status = 302 ) { harness_rec( 'redirect', $location ); return true; }
function wp_safe_redirect( $location, $status = 302 ) { harness_rec( 'redirect', $location ); return true; }
function wp_unslash( $v ) { return is_array( $v ) ? array_map( 'wp_unslash', $v ) : stripslashes( (string) $v ); }
function wp_die( $message = '', $title = '', $args = array() ) {
	harness_rec( 'die', array( 'message' => $message, 'title' => $title, 'args' => $args ) );
	exit;
}

// --- WooCommerce ---
function wc_get_checkout_url() { return $GLOBALS['harness_home'] . 'checkout/'; }
function wc_get_page_permalink( $p ) { return $GLOBALS['harness_home'] . $p . '/'; }
function wc_get_endpoint_url( $e, $v = '', $p = '' ) { return $p . $e . '/'; }
function wc_add_notice( $m, $type = 'success' ) { harness_push( 'notices', array( $type, $m ) ); }
function wc_notice_count( $t = '' ) { return 0; }
function wc_get_order( $id ) {
	return ( (int) $id === (int) $GLOBALS['harness_order_id'] ) ? $GLOBALS['harness_order'] : false;
}

/** The order WooCommerce would load: records what the plugin does to it. */
class Harness_Order {
	public $id;
	public $total;
	public function __construct( $id, $total ) { $this->id = $id; $this->total = $total; }
	public function get_id() { return $this->id; }
	public function get_total() { return $this->total; }
	public function get_checkout_order_received_url() { return $GLOBALS['harness_home'] . 'order-received/' . $this->id . '/'; }
	public function update_meta_data( $k, $v ) { $GLOBALS['harness']['order']['meta'][ $k ] = $v; }
	public function get_meta( $k, $single = true ) { return $GLOBALS['harness']['order']['meta'][ $k ] ?? ''; }
	public function delete_meta_data( $k ) { unset( $GLOBALS['harness']['order']['meta'][ $k ] ); }
	public function save() { return $this->id; }
	public function payment_complete( $tx = '' ) { $GLOBALS['harness']['order']['payment_complete'] = $tx; return true; }
	public function add_order_note( $n ) { $GLOBALS['harness']['order']['notes'][] = $n; }
	public function update_status( $s, $n = '' ) { $GLOBALS['harness']['order']['status'] = $s; }
	public function get_items() { return array(); }
}

class Harness_Cart {
	public function empty_cart() { harness_rec( 'cart_emptied', true ); }
}
function WC() { return (object) array( 'cart' => new Harness_Cart() ); }

class WC_Payment_Gateway {
	public $settings = array();
	public $id;
	public function init_settings() { $this->settings = get_option( 'woocommerce_' . $this->id . '_settings', array() ); }
	public function get_option( $key, $empty_value = null ) {
		if ( empty( $this->settings ) ) {
			$this->init_settings();
		}
		return $this->settings[ $key ] ?? $empty_value;
	}
}

/** $wpdb: prepare/query record the rows the plugins insert. */
class Harness_DB {
	public $prefix = 'wp_';
	private $args = array();
	public function prepare( $query, ...$args ) { $this->args = $args; return $query; }
	public function query( $q ) { harness_push( 'db', array( 'query' => $q, 'args' => $this->args ) ); return 1; }
	public function __call( $n, $a ) { return null; }
}
$GLOBALS['wpdb'] = new Harness_DB();

// --- Welcart ---
function usces_save_order_acting_data( $rand ) { harness_rec( 'saved_acting_data', $rand ); }
function usces_restore_order_acting_data( $key ) { return array( '_nonce' => 'nonce', 'rand' => $key ); }
function usces_have_continue_charge() { return false; }
function usces_save_order_acting_error( $log ) { harness_push( 'acting_errors', $log ); }
function usces_log( $m, $f = '' ) {}
function usces_serialize( $v ) { return serialize( $v ); }
function usces_unserialize( $v ) { return is_string( $v ) ? unserialize( $v ) : $v; }

/** Welcart's global $usces: the cart, the member and the order store. */
class Harness_Usces_Cart {
	public function get_entry() { return array( 'order' => array( 'total_full_price' => $GLOBALS['harness_total'] ) ); }
	public function get_cart() { return array( array( 'post_id' => 1 ) ); }
}
class Harness_Usces {
	public $options;
	public $cart;
	public $delim = '&';
	public $page  = '';
	public function __construct( $options ) { $this->options = $options; $this->cart = new Harness_Usces_Cart(); }
	public function get_member() { return array( 'ID' => $GLOBALS['harness_user'] ?? '' ); }
	public function get_member_meta_value( $k, $id ) { return $GLOBALS['harness']['member_meta'][ $id ][ $k ] ?? ''; }
	public function set_member_meta_value( $k, $v, $id ) { $GLOBALS['harness']['member_meta'][ $id ][ $k ] = $v; }
	public function set_order_meta_value( $k, $v, $id ) { $GLOBALS['harness']['order_meta'][ $id ][ $k ] = $v; }
	public function get_order_meta_value( $k, $id ) { return $GLOBALS['harness']['order_meta'][ $id ][ $k ] ?? ''; }
	public function getItemChargingDay( $id ) { return 99; }
	/**
	 * usces::order_processing registers the order and fires
	 * usces_action_reg_orderdata, on which WelcartPay's register_orderdata
	 * stores the result: run that hook (the plugin's own code).
	 */
	public function order_processing( $results ) {
		harness_rec( 'order_processing', $results );
		$order_id = (int) $GLOBALS['harness_order_id'];
		$args     = array(
			'cart'     => $this->cart->get_cart(),
			'entry'    => $this->cart->get_entry(),
			'order_id' => $order_id,
			'member_id' => $GLOBALS['harness_user'] ?? 0,
			'payments' => array( 'settlement' => 'acting_welcart_card' ),
			'charging_type' => 0,
			'results'  => $results,
		);
		$GLOBALS['harness_welcartpay']->register_orderdata( $args );
		return 'ordercompletion';
	}
}
